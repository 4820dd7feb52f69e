import { Module } from '@nestjs/common';
import { SessionController } from './session.controller';

/** The web console's one route of its own; its files are served by {@link consoleAssets}. */
@Module({ controllers: [SessionController] })
export class ConsoleModule {}
