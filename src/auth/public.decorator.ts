import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const IS_PUBLIC = 'isPublic';
/** Marks the OpenAPI operation so the document gets `security: []` (see src/openapi/swagger.ts). */
export const PUBLIC_OPERATION_EXTENSION = 'x-public';

/** Opts a route out of the global JWT guard. Every other route needs a valid bearer token. */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_OPERATION_EXTENSION, true));
