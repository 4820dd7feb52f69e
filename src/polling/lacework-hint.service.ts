import { Inject, Injectable, Logger } from '@nestjs/common';
import { SecretBox } from '../common/crypto/secret-box';
import { NotFoundError } from '../common/domain.errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { IntegrationsService } from '../credentials/integrations.service';
import { generateHookToken, hookTokenContext, hookTokenMatches } from './hook-token';
import { LaceworkHookRepository, ReceivedHint } from './lacework-hook.repository';
import { SyncService } from './sync.service';

const SEVERITY_NAMES: Record<string, string> = {
  '1': 'Critical',
  '2': 'High',
  '3': 'Medium',
  '4': 'Low',
  '5': 'Info',
};
const ALERT_ID = /^\d{1,30}$/;
const PRUNE_EVERY = 500;
// Another replica's rotation takes effect here within this time; this process's own at once.
const TOKEN_CACHE_MS = 5_000;
const TOKEN_CACHE_MAX = 10_000;
export const HOOK_PATH = 'api/v1/hooks/lacework';

/** The hook of an integration as its status shows it; never the token. */
export interface HookStatus {
  configured: boolean;
  tokenCreatedAt: string | null;
  hintsReceived: number;
  lastHintAt: string | null;
  lastHintAgeSeconds: number | null;
  lastHintAlertId: string | null;
  lastHintSeverity: string | null;
  lastHintTest: boolean | null;
  nextHintPollAt: string | null;
}

/**
 * Lacework's webhook alert channel as a trigger for polling. A hint is only that: it makes the integration's next
 * poll due (coalesced) and puts the hinted alert first in the enrichment queue once listed; the document still
 * comes from the API. Each integration has its own hook token, sealed at rest and compared in constant time.
 */
@Injectable()
export class LaceworkHintService {
  private readonly logger = new Logger(LaceworkHintService.name);
  private received = 0;
  /** Hints waiting to be written, per integration: a flood is written in a few batches, not one row lock each. */
  private readonly batches = new Map<string, { hints: ReceivedHint[]; writing: boolean }>();
  /** Opened hook tokens for a few seconds, so a flood does not read and open the sealed token per request. */
  private readonly tokens = new Map<string, { expected: string | null; at: number }>();

  constructor(
    private readonly hooks: LaceworkHookRepository,
    private readonly integrations: IntegrationsService,
    private readonly sync: SyncService,
    private readonly secrets: SecretBox,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Makes a new hook token (the previous one stops working) and returns it once, inside the channel URL. */
  async rotateToken(
    integrationId: string,
    requestBaseUrl: string,
  ): Promise<{ token: string; channelUrl: string }> {
    await this.integrations.find(integrationId);
    const token = generateHookToken();
    await this.hooks.saveToken(integrationId, this.secrets.seal(token, hookTokenContext(integrationId)));
    this.tokens.delete(integrationId);
    const base = this.config.publicUrl ?? requestBaseUrl;
    return { token, channelUrl: `${base}/${HOOK_PATH}/${integrationId}?token=${token}` };
  }

  /** True when `token` is the integration's hook token; false for anything else, unknown integrations included. */
  async authenticate(integrationId: string, token: string): Promise<boolean> {
    const expected = await this.expectedToken(integrationId);
    // Compare anyway when there is none, so an unknown integration takes as long as a wrong token.
    const matches = hookTokenMatches(token, expected ?? generateHookToken());
    return expected !== null && matches;
  }

  /**
   * Takes an authenticated hint. It is written in the background (with any others that arrive meanwhile) and, unless
   * it is Lacework's test message, makes the integration's next poll due; the hook answers without waiting.
   */
  receive(integrationId: string, body: unknown): { test: boolean; alertId: string | null } {
    const hint = hintOf(body);
    this.received += 1;
    if (this.received % PRUNE_EVERY === 0) {
      void this.hooks.pruneHints().catch(() => undefined);
    }
    const batch = this.batches.get(integrationId) ?? { hints: [], writing: false };
    this.batches.set(integrationId, batch);
    batch.hints.push(hint);
    if (!batch.writing) {
      void this.write(integrationId, batch);
    }
    return { test: hint.test, alertId: hint.alertId };
  }

  private async write(
    integrationId: string,
    batch: { hints: ReceivedHint[]; writing: boolean },
  ): Promise<void> {
    batch.writing = true;
    try {
      while (batch.hints.length > 0) {
        const hints = batch.hints.splice(0);
        try {
          const dueAt = await this.hooks.recordHints(integrationId, hints, this.config.hintCoalesceSeconds);
          // With the clock off in this process (SCHEDULER_ENABLED=false) another replica starts the due poll.
          if (this.config.schedulerEnabled && dueAt !== null && dueAt.getTime() <= Date.now()) {
            await this.sync.startDueRuns();
          }
        } catch (error) {
          this.logger.warn(`hints of ${integrationId}: ${(error as Error).message}`);
        }
      }
    } finally {
      batch.writing = false;
      this.batches.delete(integrationId);
    }
  }

  private async expectedToken(integrationId: string): Promise<string | null> {
    const cached = this.tokens.get(integrationId);
    if (cached !== undefined && Date.now() - cached.at < TOKEN_CACHE_MS) {
      return cached.expected;
    }
    const hook = await this.hooks.find(integrationId);
    let expected: string | null = null;
    if (hook !== null) {
      try {
        expected = this.secrets.open(hook.token_sealed, hookTokenContext(integrationId));
      } catch {
        expected = null;
      }
    }
    if (this.tokens.size >= TOKEN_CACHE_MAX) {
      this.tokens.clear();
    }
    this.tokens.set(integrationId, { expected, at: Date.now() });
    return expected;
  }

  async status(integrationId: string): Promise<HookStatus> {
    await this.integrations.find(integrationId).catch(() => {
      throw new NotFoundError(`integration ${integrationId} not found`);
    });
    const hook = await this.hooks.find(integrationId);
    const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
    return {
      configured: hook !== null,
      tokenCreatedAt: iso(hook?.token_created_at),
      hintsReceived: Number(hook?.hints_received ?? 0),
      lastHintAt: iso(hook?.last_hint_at),
      lastHintAgeSeconds: hook?.last_hint_at
        ? Math.max(0, Math.round((Date.now() - hook.last_hint_at.getTime()) / 1000))
        : null,
      lastHintAlertId: hook?.last_hint_event_id ?? null,
      lastHintSeverity: hook?.last_hint_severity ?? null,
      lastHintTest: hook?.last_hint_test ?? null,
      nextHintPollAt: iso(hook?.hint_poll_at),
    };
  }
}

/** Reads only `event_id` and `event_severity` (strings in Lacework's body; numbers tolerated); the rest is ignored. */
export function hintOf(body: unknown): ReceivedHint {
  const record =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : {};
  const text = (value: unknown): string | null =>
    typeof value === 'string'
      ? value.trim()
      : typeof value === 'number' && Number.isInteger(value)
        ? String(value)
        : null;
  const eventId = text(record.event_id);
  const severity = text(record.event_severity);
  const test = eventId === '0' || record.event_type === 'TestEvent';
  return {
    alertId: !test && eventId !== null && ALERT_ID.test(eventId) ? eventId.replace(/^0+(?=\d)/, '') : null,
    severity: severity === null ? null : (SEVERITY_NAMES[severity] ?? severity.slice(0, 16)),
    test,
  };
}
