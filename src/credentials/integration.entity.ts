import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

@Entity('integrations')
export class IntegrationEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('varchar')
  name!: string;

  @Column('text', { name: 'organization_url' })
  organizationUrl!: string;

  @Column('text')
  account!: string;

  @Column('varchar', { name: 'key_id' })
  keyId!: string;

  @Column('text', { name: 'secret_sealed' })
  secretSealed!: string;

  @Column('varchar', { name: 'secret_hint' })
  secretHint!: string;

  @Column('varchar', { name: 'sub_account', nullable: true })
  subAccount!: string | null;

  @Column('int', { name: 'poll_interval_seconds' })
  pollIntervalSeconds!: number;

  @Column('int', { name: 'initial_lookback_hours' })
  initialLookbackHours!: number;

  @Column('int', { name: 'requests_per_hour' })
  requestsPerHour!: number;

  @Column('boolean')
  enabled!: boolean;

  @Column('varchar', { name: 'min_severity', nullable: true })
  minSeverity!: string | null;

  @Column('text', { name: 'include_alert_types', array: true, nullable: true })
  includeAlertTypes!: string[] | null;

  @Column('text', { name: 'exclude_alert_types', array: true, nullable: true })
  excludeAlertTypes!: string[] | null;

  @Column('text', { name: 'extra_scopes', array: true })
  extraScopes!: string[];

  /** The first of `destinationIds` (kept for the statements that route deliveries still without a destination). */
  @Column('uuid', { name: 'destination_id', nullable: true })
  destinationId!: string | null;

  /** Every destination this integration delivers to: each alert version gets one delivery per destination. */
  @Column('uuid', { name: 'destination_ids', array: true })
  destinationIds!: string[];

  @Column('timestamptz', { name: 'sync_cursor', nullable: true })
  syncCursor!: Date | null;

  @Column('timestamptz', { name: 'last_relist_at', nullable: true })
  lastRelistAt!: Date | null;

  @Column('timestamptz', { name: 'next_poll_at' })
  nextPollAt!: Date;

  @Column('timestamptz', { name: 'rate_limited_until', nullable: true })
  rateLimitedUntil!: Date | null;

  @Column('text', { name: 'last_auth_error', nullable: true })
  lastAuthError!: string | null;

  @Column('timestamptz', { name: 'deleted_at', nullable: true })
  deletedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
