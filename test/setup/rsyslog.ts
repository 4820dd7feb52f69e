import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait';

/** Debian's rsyslogd; CI installs `rsyslog` and `rsyslog-gnutls` when missing. */
export const RSYSLOGD_PATH = process.env.RSYSLOGD_PATH ?? '/usr/sbin/rsyslogd';
const INSTALL_HINT = 'install the Debian packages: apt-get install -y rsyslog rsyslog-gnutls';

/** The name in the client certificate the receiver permits when it checks peers. */
export const PERMITTED_CLIENT_NAME = 'client.test';

export interface RsyslogOptions {
  /** Require a client certificate (AuthMode x509/name) whose name is one of these. */
  permittedPeers?: string[];
  /**
   * The imtcp input's MaxFrameSize: the longest octet-counted frame it takes before it falls back to LF framing.
   * Undefined: rsyslog's own default (200000).
   */
  maxFrameSize?: number;
}

/** One message as rsyslog received it, from the raw bytes and from rsyslog's own RFC 5424 parse. */
export interface ReceivedSyslog {
  /** The whole message as received (`%rawmsg%`), byte for byte. */
  raw: Buffer;
  pri: number;
  facility: number;
  severity: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  structuredData: string;
  /** The MSG part as rsyslog parsed it (`%msg%`). */
  msg: string;
}

export interface PemPair {
  certificate: string;
  key: string;
}

function certificatePair(dir: string, name: string, subjectAltName: string): PemPair {
  const certPath = join(dir, `${name}-cert.pem`);
  const keyPath = join(dir, `${name}-key.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-addext',
      `subjectAltName=${subjectAltName}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { certificate: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}

// One JSON object per message from rsyslog's own parse, so the test sees what rsyslog understood.
const PARSED_TEMPLATE =
  '{"pri":"%pri%","timestamp":"%timereported:::date-rfc3339,json%","hostname":"%hostname:::json%",' +
  '"appName":"%app-name:::json%","procId":"%procid:::json%","msgId":"%msgid:::json%",' +
  '"structuredData":"%structured-data:::json%","msg":"%msg:::json%"}\\n';

function configText(dir: string, options: RsyslogOptions): string {
  const authMode =
    options.permittedPeers === undefined
      ? 'StreamDriver.AuthMode="anon"'
      : `StreamDriver.AuthMode="x509/name" PermittedPeer=[${options.permittedPeers.map((p) => `"${p}"`).join(',')}]`;
  const maxFrameSize = options.maxFrameSize === undefined ? '' : ` MaxFrameSize="${options.maxFrameSize}"`;
  return `global(workDirectory="${dir}/work"
       maxMessageSize="1m"
       DefaultNetstreamDriver="gtls"
       DefaultNetstreamDriverCAFile="${dir}/trusted-clients.pem"
       DefaultNetstreamDriverCertFile="${dir}/localhost-cert.pem"
       DefaultNetstreamDriverKeyFile="${dir}/localhost-key.pem")
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" ${authMode}${maxFrameSize})
template(name="raw" type="string" string="%rawmsg%\\n")
template(name="parsed" type="string" string="${PARSED_TEMPLATE.replace(/"/g, '\\"')}")
ruleset(name="fromTls") {
  action(type="omfile" file="${dir}/out/raw.log" template="raw")
  action(type="omfile" file="${dir}/out/parsed.log" template="parsed")
}
input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="${dir}/port" ruleset="fromTls")
`;
}

function lines(path: string): Buffer[] {
  if (!existsSync(path)) {
    return [];
  }
  const content = readFileSync(path);
  const result: Buffer[] = [];
  let start = 0;
  for (let end = content.indexOf(0x0a); end >= 0; end = content.indexOf(0x0a, start)) {
    result.push(content.subarray(start, end));
    start = end + 1;
  }
  return result;
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * A real rsyslogd receiving RFC 5425 syslog over TLS (gtls) on 127.0.0.1, with its own config, work directory and
 * self-signed certificates in a temporary directory. Never the system's rsyslog.
 */
export class Rsyslog {
  private output = '';
  private exited = false;
  private paused = false;
  private port_ = 0;

  private constructor(
    readonly dir: string,
    private readonly child: ChildProcess,
    /** The receiver's certificate (CN and SAN localhost, 127.0.0.1): the CA a sender trusts. */
    readonly serverCertificate: string,
    /** A client pair the receiver trusts and permits (name {@link PERMITTED_CLIENT_NAME}). */
    readonly client: PemPair,
    /** A client pair the receiver trusts as a certificate but whose name it does not permit. */
    readonly stranger: PemPair,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    child.on('exit', () => (this.exited = true));
  }

  get port(): number {
    return this.port_;
  }

  /** `tls://127.0.0.1:<port>` */
  get url(): string {
    return `tls://127.0.0.1:${this.port_}`;
  }

  /** What rsyslogd printed (its errors and notices). */
  get log(): string {
    return this.output;
  }

  /** Starts rsyslogd and waits until its TLS port accepts connections. */
  static async start(options: RsyslogOptions = {}): Promise<Rsyslog> {
    if (!existsSync(RSYSLOGD_PATH)) {
      throw new Error(`rsyslogd is not installed (looked for ${RSYSLOGD_PATH}): ${INSTALL_HINT}`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'lc-rsyslog-'));
    mkdirSync(join(dir, 'work'));
    mkdirSync(join(dir, 'out'));
    const server = certificatePair(dir, 'localhost', 'DNS:localhost,IP:127.0.0.1');
    const client = certificatePair(dir, PERMITTED_CLIENT_NAME, `DNS:${PERMITTED_CLIENT_NAME}`);
    const stranger = certificatePair(dir, 'stranger.test', 'DNS:stranger.test');
    writeFileSync(
      join(dir, 'trusted-clients.pem'),
      server.certificate + client.certificate + stranger.certificate,
    );
    const configPath = join(dir, 'rsyslog.conf');
    writeFileSync(configPath, configText(dir, options));
    const child = spawn(RSYSLOGD_PATH, ['-n', '-f', configPath, '-i', join(dir, 'rsyslogd.pid')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const receiver = new Rsyslog(dir, child, server.certificate, client, stranger);
    child.on('error', () => (receiver.exited = true));
    try {
      const port = await waitFor(
        () => {
          if (receiver.exited) {
            throw new Error(`rsyslogd exited at start: ${receiver.output.trim()} (${INSTALL_HINT})`);
          }
          const text = existsSync(join(dir, 'port')) ? readFileSync(join(dir, 'port'), 'utf8').trim() : '';
          return /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
        },
        15_000,
        'rsyslogd to listen',
      );
      await waitFor(() => portAnswers(port), 15_000, `rsyslogd to answer on port ${port}`);
      receiver.port_ = port;
      return receiver;
    } catch (error) {
      await receiver.stop();
      throw error;
    }
  }

  /** The messages written so far, in the order received. */
  messages(): ReceivedSyslog[] {
    const raw = lines(join(this.dir, 'out', 'raw.log'));
    const parsed = lines(join(this.dir, 'out', 'parsed.log'));
    const count = Math.min(raw.length, parsed.length);
    const result: ReceivedSyslog[] = [];
    for (let i = 0; i < count; i += 1) {
      const fields = JSON.parse(parsed[i].toString('utf8')) as Record<string, string>;
      const pri = Number(fields.pri);
      result.push({
        raw: raw[i],
        pri,
        facility: Math.floor(pri / 8),
        severity: pri % 8,
        timestamp: fields.timestamp,
        hostname: fields.hostname,
        appName: fields.appName,
        procId: fields.procId,
        msgId: fields.msgId,
        structuredData: fields.structuredData,
        msg: fields.msg,
      });
    }
    return result;
  }

  /** Waits until at least `count` messages arrived. */
  async waitForMessages(count: number, timeoutMs = 10_000): Promise<ReceivedSyslog[]> {
    return waitFor(
      () => {
        const received = this.messages();
        return received.length >= count ? received : undefined;
      },
      timeoutMs,
      `${count} syslog messages (rsyslogd said: ${this.output.trim() || 'nothing'})`,
    );
  }

  /**
   * Freezes rsyslogd (SIGSTOP): the kernel still completes TCP handshakes and buffers what clients send, but nothing
   * is answered, read or written until {@link resume}: a TLS handshake with it hangs.
   */
  pause(): void {
    if (!this.exited && !this.paused) {
      this.child.kill('SIGSTOP');
      this.paused = true;
    }
  }

  /** Lets a paused rsyslogd run again (SIGCONT). */
  resume(): void {
    if (!this.exited && this.paused) {
      this.child.kill('SIGCONT');
      this.paused = false;
    }
  }

  /**
   * Client connections to the receiver's port that are open as the kernel sees them (ESTABLISHED in Linux's
   * /proc/net/tcp), whether or not rsyslogd took them yet: how a test sees a sender waiting on a paused receiver.
   */
  openClientConnections(): number {
    const table = readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1);
    const port = this.port_.toString(16).toUpperCase().padStart(4, '0');
    return table.filter((line) => {
      const fields = line.trim().split(/\s+/);
      // fields: sl, local_address, rem_address, st, ...; the client side is the one whose remote port is ours.
      return fields.length > 3 && fields[2].endsWith(`:${port}`) && fields[3] === '01';
    }).length;
  }

  /** Stops rsyslogd and deletes its directory. */
  async stop(): Promise<void> {
    this.resume();
    if (!this.exited) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const killTimer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killTimer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
