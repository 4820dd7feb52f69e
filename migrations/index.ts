import { InitialSchema1795800000000 } from './1795800000000-InitialSchema';
import { LaceworkCallLog1795800100000 } from './1795800100000-LaceworkCallLog';
import { SyncRunProgress1795800200000 } from './1795800200000-SyncRunProgress';
import { DashboardIndexes1795800400000 } from './1795800400000-DashboardIndexes';
import { SyncRunLanes1795800700000 } from './1795800700000-SyncRunLanes';
import { RetentionIndexes1795800710000 } from './1795800710000-RetentionIndexes';
import { EnrichmentFailures1795800800000 } from './1795800800000-EnrichmentFailures';
import { KeyRequestBudget1795800900000 } from './1795800900000-KeyRequestBudget';
import { ConsoleIndexes1795801000000 } from './1795801000000-ConsoleIndexes';
import { DeliveryAttemptDestination1795801000001 } from './1795801000001-DeliveryAttemptDestination';
import { AlertActions1795801100000 } from './1795801100000-AlertActions';
import { LaceworkHooks1795801100001 } from './1795801100001-LaceworkHooks';
import { ExtraScopes1795801200000 } from './1795801200000-ExtraScopes';
import { BackfillRefresh1795801200001 } from './1795801200001-BackfillRefresh';
import { DestinationKinds1795801300000 } from './1795801300000-DestinationKinds';
import { DeliveryClaimIndex1795801400000 } from './1795801400000-DeliveryClaimIndex';

/** Every migration, oldest first. Listed explicitly so the app, the CLI and tests load the same set. */
export const MIGRATIONS = [
  InitialSchema1795800000000,
  LaceworkCallLog1795800100000,
  SyncRunProgress1795800200000,
  DashboardIndexes1795800400000,
  SyncRunLanes1795800700000,
  RetentionIndexes1795800710000,
  EnrichmentFailures1795800800000,
  KeyRequestBudget1795800900000,
  ConsoleIndexes1795801000000,
  DeliveryAttemptDestination1795801000001,
  AlertActions1795801100000,
  LaceworkHooks1795801100001,
  ExtraScopes1795801200000,
  BackfillRefresh1795801200001,
  DestinationKinds1795801300000,
  DeliveryClaimIndex1795801400000,
];
