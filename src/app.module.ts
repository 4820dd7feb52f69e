import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { AuthModule } from './auth/auth.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { buildDataSourceOptions } from './database/data-source';
import { HealthModule } from './health/health.module';
import { CryptoModule } from './common/crypto/crypto.module';
import { CredentialsModule } from './credentials/credentials.module';
import { PollingModule } from './polling/polling.module';
import { DeliveryModule } from './delivery/delivery.module';
import { loggerOptions } from './common/logger.options';
import { StatusModule } from './status/status.module';
import { MetricsModule } from './metrics/metrics.module';
import { ConsoleModule } from './console/console.module';

/** The whole service. `databaseUrl` is the configured PostgreSQL or the embedded database's address. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerOptions(config)),
        TypeOrmModule.forRoot({
          ...buildDataSourceOptions(databaseUrl),
          migrationsRun: true,
          retryAttempts: 3,
          retryDelay: 1000,
        }),
        ScheduleModule.forRoot(),
        AuthModule,
        HealthModule,
        CryptoModule,
        CredentialsModule,
        PollingModule,
        DeliveryModule,
        StatusModule,
        MetricsModule,
        ConsoleModule,
      ],
    };
  }
}
