import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { SecretBox } from './secret-box';

/** One SecretBox per process, keyed by SECRETS_KEY (and SECRETS_KEY_PREVIOUS while rotating). */
@Global()
@Module({
  providers: [
    {
      provide: SecretBox,
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) =>
        new SecretBox({ current: config.secretsKey, previous: config.secretsKeyPrevious }),
    },
  ],
  exports: [SecretBox],
})
export class CryptoModule {}
