import { SetMetadata } from '@nestjs/common';

export const ALLOWS_WRITEBACK = 'allowsWriteback';

/** Opens a route to the write-back token too (besides the admin token): only closing and commenting on alerts. */
export const AllowsWriteback = (): MethodDecorator & ClassDecorator => SetMetadata(ALLOWS_WRITEBACK, true);
