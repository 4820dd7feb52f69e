import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from './app-config';
import { GeneratedSecrets, validateEnv } from './env.validation';

const SECRETS_FILE = 'generated-secrets.json';

/** Reads the secrets generated on the first embedded start, creating them (mode 0600) when absent. */
export function loadOrCreateGeneratedSecrets(dataDir: string): {
  secrets: GeneratedSecrets;
  created: boolean;
} {
  const file = join(dataDir, SECRETS_FILE);
  if (existsSync(file)) {
    return { secrets: JSON.parse(readFileSync(file, 'utf8')) as GeneratedSecrets, created: false };
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const secrets: GeneratedSecrets = {
    adminApiToken: randomBytes(32).toString('base64url'),
    secretsKey: randomBytes(32).toString('base64'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { secrets, created: true };
}

export interface LoadedConfig {
  config: AppConfig;
  /** Set when the admin token came from DATA_DIR rather than the environment. */
  generatedAdminToken: GeneratedAdminToken | null;
}

export interface GeneratedAdminToken {
  /** The file that keeps it. */
  file: string;
  /** True only on the start that generated it: the one time it may be printed. */
  createdNow: boolean;
}

/** Validates the environment; in embedded mode fills missing secrets from (or into) DATA_DIR. */
export function loadConfig(env: NodeJS.ProcessEnv): LoadedConfig {
  const embedded = (env.DATABASE_URL ?? '').trim() === '';
  if (!embedded) {
    return { config: validateEnv(env), generatedAdminToken: null };
  }
  const needsGenerated = (env.ADMIN_API_TOKEN ?? '').trim() === '' || (env.SECRETS_KEY ?? '').trim() === '';
  if (!needsGenerated) {
    return { config: validateEnv(env, { adminApiToken: '', secretsKey: '' }), generatedAdminToken: null };
  }
  const dataDir = (env.DATA_DIR ?? '').trim() || './data';
  const { secrets, created } = loadOrCreateGeneratedSecrets(dataDir);
  const config = validateEnv(env, secrets);
  const fromFile = (env.ADMIN_API_TOKEN ?? '').trim() === '';
  return {
    config,
    generatedAdminToken: fromFile ? { file: join(dataDir, SECRETS_FILE), createdNow: created } : null,
  };
}
