import { InitialSchema1795800000000 } from './1795800000000-InitialSchema';
import { LaceworkCallLog1795800100000 } from './1795800100000-LaceworkCallLog';
import { SyncRunProgress1795800200000 } from './1795800200000-SyncRunProgress';
import { DashboardIndexes1795800400000 } from './1795800400000-DashboardIndexes';
import { AlertActions1795801100000 } from './1795801100000-AlertActions';
import { LaceworkHooks1795801100001 } from './1795801100001-LaceworkHooks';

/** Every migration, oldest first. Listed explicitly so the app, the CLI and tests load the same set. */
export const MIGRATIONS = [
  InitialSchema1795800000000,
  LaceworkCallLog1795800100000,
  SyncRunProgress1795800200000,
  DashboardIndexes1795800400000,
  AlertActions1795801100000,
  LaceworkHooks1795801100001,
];
