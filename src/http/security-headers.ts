import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/** The API answers JSON only: nothing it sends may load anything, run anything, or be framed. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * Swagger UI (/docs and its assets): its scripts, styles and the OpenAPI document come from this origin, and
 * "Try it out" calls this origin; it sets inline styles and uses data: images. It may not be framed either.
 */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** For answers written outside Fastify's hooks (client-errors.ts): what every answer carries at least. */
export const BASELINE_SECURITY_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Content-Security-Policy': API_CSP } as const;

/** Swagger UI's routes (page, init script, static assets); the documents (/docs-json, /docs-yaml) are data, as the API. */
const isSwaggerUiRoute = (url: string | undefined) => url !== undefined && /^\/docs(?:\/|$)/.test(url);

/**
 * Helmet's standard response headers on every answer of the app (404s, errors and health included, as they all
 * pass the onRequest hooks): X-Content-Type-Options: nosniff, X-Frame-Options: DENY, Referrer-Policy:
 * no-referrer, the Cross-Origin-*-Policy headers, and the rest of its set. The Content-Security-Policy is set
 * here instead, per route: Helmet writes its directives without the space the contract's policy has, and the
 * docs need another policy than the API. No HSTS: the service speaks plain HTTP, and whether a domain and its
 * subdomains are HTTPS-only is for the TLS front to say.
 */
export function registerSecurityHeaders(fastify: FastifyInstance): void {
  void fastify.register(helmet, {
    contentSecurityPolicy: false,
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('Content-Security-Policy', isSwaggerUiRoute(request.routeOptions.url) ? DOCS_CSP : API_CSP);
    done();
  });
}
