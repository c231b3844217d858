// Clients (client-node, kubectl, edgecore) branch on Status.reason and code, so every failure is a real Status body.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: StatusDetails;
  code: number;
}

/** An HTTP-level failure of the stand-in API server; never leaves the server as anything but a Status body. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: StatusDetails | undefined;
  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  toStatus(): StatusBody {
    const body: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
    if (this.details) body.details = this.details;
    return body;
  }
}

/** The resource a message names: `pods`, or `deployments.apps` outside the core group. */
export interface ResourceRef {
  group: string;
  plural: string;
}

const qualified = (r: ResourceRef) => (r.group ? `${r.plural}.${r.group}` : r.plural);
const detailsOf = (r: ResourceRef, name: string): StatusDetails => (r.group ? { name, group: r.group, kind: r.plural } : { name, kind: r.plural });

export const notFound = (r: ResourceRef, name: string) =>
  new ApiError(404, 'NotFound', `${qualified(r)} "${name}" not found`, detailsOf(r, name));

export const alreadyExists = (r: ResourceRef, name: string) =>
  new ApiError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, detailsOf(r, name));

export const conflict = (r: ResourceRef, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, detailsOf(r, name));

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);

export const methodNotAllowed = (message = 'the server does not allow this method on the requested resource') =>
  new ApiError(405, 'MethodNotAllowed', message);

export const unsupportedMediaType = (type: string) =>
  new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got ${type || 'none'})`);

export const gone = (message: string) => new ApiError(410, 'Expired', message);

export const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');

export const internalError = (message: string) => new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);

/** 422 Invalid: `Pod "x" is invalid: spec.containers: Required value`, with one cause per field. */
export function invalid(kind: string, name: string, group: string, causes: StatusCause[]): ApiError {
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : String(c.message)));
  const text = summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`;
  const details: StatusDetails = group ? { name, group, kind, causes } : { name, kind, causes };
  return new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${text}`, details);
}

export function successStatus(details: StatusDetails): Omit<StatusBody, 'reason' | 'message'> & { details: StatusDetails } {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details, code: 200 };
}
