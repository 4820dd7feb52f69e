import { isIP } from 'node:net';
import { hostname as machineHostname } from 'node:os';
import tls from 'node:tls';
import { Inject, Injectable } from '@nestjs/common';
import { InvalidInputError } from '../../common/domain.errors';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { buildSyslogMessage, frameSyslogMessage, SyslogHeader } from '../formats/syslog-message';
import { assertHostAllowed, destinationLookup } from './destination-http';
import {
  BatchAnswer,
  DestinationSender,
  EventOutcome,
  OpenedDestination,
  OutgoingEvent,
  pausedAnswer,
} from './destination-sender';
import { readSyslogSettings, SyslogSettings, syslogTarget, SyslogTarget } from './syslog.settings';

/** Why a batch did not go through: `retry` counts an attempt, `pause` stops the destination until an operator acts. */
interface Failure {
  action: 'retry' | 'pause';
  reason: string;
}

type Transmission = { ok: true } | ({ ok: false } & Failure);

/**
 * How long to watch a fresh connection before writing. A receiver that checks the client certificate after the TLS
 * handshake (rsyslog's x509 modes) and refuses it just closes the connection: the client saw a good handshake, so
 * that close is the only sign. Watching for about one handshake's time catches it before any event is written.
 */
const SETTLE_MIN_MS = 100;
const SETTLE_MAX_MS = 1_000;

// OpenSSL's verification codes for a server certificate Node will not trust, in words.
const UNTRUSTED_CERTIFICATE_CODES: Readonly<Record<string, string>> = {
  UNABLE_TO_GET_ISSUER_CERT: 'its issuer is unknown',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its issuer is not among the trusted CAs',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'it cannot be verified against the trusted CAs',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'its signature cannot be read',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: "its issuer's key cannot be read",
  CERT_SIGNATURE_FAILURE: 'its signature is wrong',
  CERT_NOT_YET_VALID: 'it is not valid yet',
  CERT_HAS_EXPIRED: 'it has expired',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 'its validity dates cannot be read',
  ERROR_IN_CERT_NOT_AFTER_FIELD: 'its validity dates cannot be read',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed and not among the trusted CAs',
  SELF_SIGNED_CERT_IN_CHAIN: 'its chain ends in a self-signed CA that is not trusted',
  CERT_CHAIN_TOO_LONG: 'its chain is too long',
  CERT_REVOKED: 'it is revoked',
  INVALID_CA: 'a CA in its chain is not a valid CA',
  PATH_LENGTH_EXCEEDED: 'its chain is longer than a CA allows',
  INVALID_PURPOSE: 'it is not meant for a TLS server',
  CERT_UNTRUSTED: 'it is not trusted',
  CERT_REJECTED: 'it is rejected',
  HOSTNAME_MISMATCH: 'it does not name the host',
  ERR_TLS_CERT_ALTNAME_INVALID: 'it does not name the host',
};

// TLS alerts a receiver sends when it does not accept the client certificate, or its absence.
const CLIENT_CERTIFICATE_ALERTS: ReadonlySet<string> = new Set([
  'BAD_CERTIFICATE',
  'UNSUPPORTED_CERTIFICATE',
  'CERTIFICATE_REVOKED',
  'CERTIFICATE_EXPIRED',
  'CERTIFICATE_UNKNOWN',
  'CERTIFICATE_REQUIRED',
  'UNKNOWN_CA',
  'ACCESS_DENIED',
]);
// Alerts that say the two ends cannot agree: only a change of settings on one side helps.
const HANDSHAKE_REFUSED_ALERTS: ReadonlySet<string> = new Set([
  'HANDSHAKE_FAILURE',
  'PROTOCOL_VERSION',
  'INSUFFICIENT_SECURITY',
  'NO_APPLICATION_PROTOCOL',
]);

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** A connection or TLS failure in words that name no secret. */
function classifyFailure(error: unknown): Failure {
  const code = errorCode(error);
  if (Object.hasOwn(UNTRUSTED_CERTIFICATE_CODES, code)) {
    // Node's message adds the names it compared (never a secret); otherwise it only repeats the code.
    const message = error instanceof Error && error.message !== code ? `; ${error.message}` : '';
    return {
      action: 'pause',
      reason: `the receiver's certificate is not trusted: ${UNTRUSTED_CERTIFICATE_CODES[code]} (${code}${message})`,
    };
  }
  const alert = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(.+)$/.exec(code)?.[1];
  if (alert !== undefined) {
    const words = alert.toLowerCase().replace(/_/g, ' ');
    if (CLIENT_CERTIFICATE_ALERTS.has(alert)) {
      return {
        action: 'pause',
        reason: `the receiver refused the client certificate (or its absence): TLS alert "${words}"`,
      };
    }
    if (HANDSHAKE_REFUSED_ALERTS.has(alert)) {
      return {
        action: 'pause',
        reason: `the receiver refused the TLS handshake: TLS alert "${words}" (check the client certificate and the receiver's TLS settings)`,
      };
    }
    return { action: 'retry', reason: `TLS alert "${words}"` };
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return { action: 'pause', reason: 'the receiver does not speak TLS on this port' };
  }
  if (code === 'ERR_FORBIDDEN_DESTINATION') {
    return {
      action: 'retry',
      reason: 'destination resolves to a forbidden (link-local, metadata, unspecified or multicast) address',
    };
  }
  return { action: 'retry', reason: code === '' ? 'network error' : `network error ${code}` };
}

/**
 * The name sent as SNI: the server name when set, else the host of the address when it is a name (TLS does not send
 * an IP address as SNI; Node does not fall back to the host by itself).
 */
function sniName(target: SyslogTarget, serverName: string | undefined): string | undefined {
  if (serverName !== undefined) {
    return serverName;
  }
  if (isIP(target.host) !== 0) {
    return undefined;
  }
  const name = target.host.replace(/\.$/, '');
  return name === '' ? undefined : name;
}

function messages(count: number): string {
  return `${count} message${count === 1 ? '' : 's'}`;
}

/** The machine's hostname as a syslog HOSTNAME: the format cuts and cleans it further if needed. */
function defaultHostname(): string {
  return machineHostname() || '-';
}

/**
 * Syslog over TLS: RFC 5424 messages in RFC 5425 octet-counted frames, one connection per batch. An event counts as
 * delivered only when every frame was written and flushed and both ends closed the connection without error; syslog
 * has no acknowledgement beyond that, so on any doubt the whole batch is retried (at least once, never lost). A
 * message longer than `maxMessageBytes` is never written (the receiver would merge it with the next ones): that event
 * is rejected, the others are sent.
 */
@Injectable()
export class SyslogSender implements DestinationSender {
  readonly kind = 'syslog' as const;
  private readonly timeoutMs: number;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.timeoutMs = config.deliveryTimeoutMs;
  }

  /** Sends the batch over one TLS connection within `DELIVERY_TIMEOUT_MS`. Never throws. */
  async sendBatch(destination: OpenedDestination, events: readonly OutgoingEvent[]): Promise<BatchAnswer> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    if (events.length === 0) {
      return { status: null, latencyMs: 0, outcomes: [], pause: null, summary: 'nothing to send' };
    }
    let target: SyslogTarget;
    let settings: SyslogSettings;
    // Per event: its frame, or why it is not sent.
    let framed: ({ frame: Buffer } | { rejected: string })[];
    try {
      target = syslogTarget(destination.url);
      assertHostAllowed(target.host);
      settings = readSyslogSettings(destination.settings, destination.credentials);
      const header: SyslogHeader = {
        facility: settings.facility,
        hostname: settings.hostname ?? defaultHostname(),
        appName: settings.appName,
        procId: String(process.pid),
        msgId: settings.msgId,
      };
      const limit = settings.maxMessageBytes;
      framed = events.map((event) => {
        const message = buildSyslogMessage(header, event);
        const size = Buffer.byteLength(message, 'utf8');
        // A receiver reads a frame above its limit as LF-framed text, merging this message with those after it.
        return size > limit
          ? {
              rejected:
                `the syslog message is ${size} bytes, more than settings.maxMessageBytes (${limit}): raise it with ` +
                "the receiver's limit (rsyslog's MaxFrameSize) and replay",
            }
          : { frame: frameSyslogMessage(message) };
      });
    } catch (error) {
      const detail = error instanceof InvalidInputError ? error.message : classifyFailure(error).reason;
      return pausedAnswer(events, null, elapsed(), `the destination's settings are refused: ${detail}`);
    }

    const rejections = framed.flatMap((item) => ('rejected' in item ? [item.rejected] : []));
    const frames = framed.flatMap((item) => ('frame' in item ? [item.frame] : []));
    const rejectedText =
      rejections.length === 0 ? '' : `${messages(rejections.length)} rejected: ${rejections[0]}`;
    const outcomes = (sent: EventOutcome): EventOutcome[] =>
      framed.map((item) => ('rejected' in item ? { kind: 'rejected', error: item.rejected } : sent));
    if (frames.length === 0) {
      return {
        status: null,
        latencyMs: elapsed(),
        outcomes: outcomes({ kind: 'not_sent' }),
        pause: null,
        summary: rejectedText,
      };
    }
    const withRejected = (summary: string): string =>
      rejectedText === '' ? summary : `${summary}; ${rejectedText}`;

    const result = await this.transmit(target, settings, frames);
    const latencyMs = elapsed();
    if (result.ok) {
      return {
        status: null,
        latencyMs,
        outcomes: outcomes({ kind: 'delivered' }),
        pause: null,
        summary: withRejected(
          `the receiver took ${messages(frames.length)} over TLS (connection closed cleanly)`,
        ),
      };
    }
    if (result.action === 'pause') {
      // Too long is a fact of the event, whatever the receiver answered: those stay rejected.
      return {
        ...pausedAnswer(events, null, latencyMs, result.reason),
        outcomes: outcomes({ kind: 'not_sent' }),
      };
    }
    return {
      status: null,
      latencyMs,
      outcomes: outcomes({ kind: 'retry', error: result.reason }),
      pause: null,
      summary: withRejected(`not delivered: ${result.reason}`),
    };
  }

  /** Connects, watches the new connection briefly, writes every frame, ends it and waits for the close. */
  private transmit(
    target: SyslogTarget,
    settings: SyslogSettings,
    frames: readonly Buffer[],
  ): Promise<Transmission> {
    return new Promise<Transmission>((resolve) => {
      let socket: tls.TLSSocket | undefined;
      let settleTimer: NodeJS.Timeout | undefined;
      let phase: 'handshake' | 'settling' | 'writing' | 'flushed' = 'handshake';
      let settled = false;
      const finish = (result: Transmission): void => {
        if (settled) {
          return;
        }
        settled = true;
        clearTimeout(deadline);
        clearTimeout(settleTimer);
        socket?.destroy();
        resolve(result);
      };
      const fail = (failure: Failure): void => finish({ ok: false, ...failure });
      const deadline = setTimeout(() => fail({ action: 'retry', reason: 'timed out' }), this.timeoutMs);

      const receiverClosed = (): void => {
        if (phase === 'settling') {
          fail({
            action: 'pause',
            reason:
              'the receiver closed the connection right after the TLS handshake, before anything was sent: it ' +
              'most likely refused the client certificate or its absence (check its permitted peers)',
          });
        } else if (phase === 'writing') {
          fail({
            action: 'retry',
            reason: 'the receiver closed the connection before the batch was written',
          });
        }
      };

      const writeAll = (): void => {
        const open = socket;
        if (settled || open === undefined) {
          return;
        }
        phase = 'writing';
        frames.forEach((frame, index) => {
          if (index < frames.length - 1) {
            open.write(frame);
            return;
          }
          // The last write's callback comes once every byte is handed to the operating system; only then do we end.
          open.write(frame, (error) => {
            if (error) {
              fail(classifyFailure(error));
              return;
            }
            phase = 'flushed';
            open.end();
          });
        });
      };

      try {
        socket = tls.connect({
          host: target.host,
          port: target.port,
          servername: sniName(target, settings.serverName),
          ca: settings.caCertificate,
          cert: settings.clientCertificate,
          key: settings.clientKey,
          minVersion: 'TLSv1.2',
          rejectUnauthorized: true,
          lookup: destinationLookup,
        });
      } catch (error) {
        // Building the TLS context failed: the certificate or key text is unusable. Only the code is kept.
        const code = errorCode(error);
        fail({
          action: 'pause',
          reason: `the TLS client settings cannot be used (certificate or key)${code === '' ? '' : `: ${code}`}`,
        });
        return;
      }
      const handshakeStarted = performance.now();
      socket.on('error', (error) => fail(classifyFailure(error)));
      // A receiver sends nothing; reading keeps its close_notify and FIN visible.
      socket.on('data', () => undefined);
      socket.on('end', receiverClosed);
      socket.on('close', () => {
        if (phase === 'flushed') {
          finish({ ok: true });
        } else if (phase === 'handshake') {
          fail({ action: 'retry', reason: 'the connection closed during the TLS handshake' });
        } else {
          receiverClosed();
        }
      });
      socket.once('secureConnect', () => {
        phase = 'settling';
        const handshakeMs = performance.now() - handshakeStarted;
        settleTimer = setTimeout(writeAll, Math.min(SETTLE_MAX_MS, Math.max(SETTLE_MIN_MS, handshakeMs)));
      });
    });
  }
}
