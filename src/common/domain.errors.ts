/** Errors our services throw; the global exception filter maps each kind to an HTTP status. */
export abstract class DomainError extends Error {
  abstract readonly kind: 'not_found' | 'conflict' | 'invalid' | 'unavailable';

  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  readonly kind = 'not_found';
}

export class ConflictError extends DomainError {
  readonly kind = 'conflict';
}

/** Input that passed DTO validation but breaks a rule of the domain; `field` names the culprit. */
export class InvalidInputError extends DomainError {
  readonly kind = 'invalid';

  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

export class ServiceUnavailableError extends DomainError {
  readonly kind = 'unavailable';
}
