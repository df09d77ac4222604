/** The largest request body, once decoded (Fastify's bodyLimit, and the 413 problem that names it). */
export const BODY_LIMIT_BYTES = 100 * 1024;
