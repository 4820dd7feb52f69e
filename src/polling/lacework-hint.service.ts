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
    const base = this.config.publicUrl ?? requestBaseUrl;
    return { token, channelUrl: `${base}/${HOOK_PATH}/${integrationId}?token=${token}` };
  }

  /** True when `token` is the integration's hook token; false for anything else, unknown integrations included. */
  async authenticate(integrationId: string, token: string): Promise<boolean> {
    const hook = await this.hooks.find(integrationId);
    if (hook === null) {
      // Compare anyway, so an unknown integration takes as long as a wrong token.
      hookTokenMatches(token, generateHookToken());
      return false;
    }
    let expected: string;
    try {
      expected = this.secrets.open(hook.token_sealed, hookTokenContext(integrationId));
    } catch {
      return false;
    }
    return hookTokenMatches(token, expected);
  }

  /**
   * Records an authenticated hint and, unless it is Lacework's test message, makes the integration's next poll due.
   * The poll itself is started after the caller has answered, so the hook never waits on Lacework.
   */
  async receive(integrationId: string, body: unknown): Promise<{ test: boolean; alertId: string | null }> {
    const hint = hintOf(body);
    this.received += 1;
    if (this.received % PRUNE_EVERY === 0) {
      void this.hooks.pruneHints().catch(() => undefined);
    }
    const dueAt = await this.hooks.recordHint(integrationId, hint, this.config.hintCoalesceSeconds);
    // With the clock off in this process (SCHEDULER_ENABLED=false) another replica starts the due poll.
    if (this.config.schedulerEnabled && dueAt !== null && dueAt.getTime() <= Date.now()) {
      setImmediate(() => {
        void this.sync.startDueRuns().catch((error: unknown) => {
          this.logger.warn(`hinted poll of ${integrationId}: ${(error as Error).message}`);
        });
      });
    }
    return { test: hint.test, alertId: hint.alertId };
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
