import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyHttpOptions, FastifyServerOptions } from 'fastify';
import type { Server } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import type { AppConfig } from '../config/app-config';
import { answerClientErrorAsProblem, answerFrameworkErrorAsProblem } from './client-errors';
import { BODY_LIMIT_BYTES } from '../config/limits';
import { echoRequestId, requestId } from '../logging/request-id';

/** The address of a request is believed from X-Forwarded-For only as far as TRUST_PROXY says. */
export function trustProxyOption(trustProxy: AppConfig['trustProxy']): FastifyServerOptions['trustProxy'] {
  // a hop count trusts that many hops (Express semantics, documented in the README); Fastify on its own
  // would trust no hop at all for a number
  return typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : trustProxy;
}

/** How often Node looks for requests past their headers or request timeout (its default, 30 s, would let them last that long). */
function checkingIntervalMs(config: AppConfig): number {
  return Math.max(100, Math.min(1_000, Math.floor(config.httpTimeouts.headersMs / 2)));
}

/** Fastify's options: routing, timeouts and limits as the HTTP contract (and Node's defaults) want them. */
function fastifyOptions(config: AppConfig): FastifyHttpOptions<Server> {
  return {
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: requestId,
    trustProxy: trustProxyOption(config.trustProxy),
    routerOptions: {
      // Express routing matched paths case-insensitively, with or without a trailing slash, params of any length
      caseSensitive: false,
      ignoreTrailingSlash: true,
      maxParamLength: 16 * 1024,
      // node:querystring, Express's 'simple' parser: the same values, and a repeated parameter is an array (400)
      querystringParser: (query: string) => parseQueryString(query),
    },
    clientErrorHandler: answerClientErrorAsProblem,
    frameworkErrors: answerFrameworkErrorAsProblem,
    // while draining, requests still arriving on open connections are served (their answers say Connection: close)
    return503OnClosing: false,
    // Node's keep-alive default, which Fastify changes (72 s); below a load balancer's idle timeout
    keepAliveTimeout: 5_000,
    // a request whose headers, or whole body, do not arrive in time is cut: 408 problem (client-errors.ts).
    // It bounds receiving the request only, not the time the answer takes.
    requestTimeout: config.httpTimeouts.requestMs,
    http: { headersTimeout: config.httpTimeouts.headersMs, connectionsCheckingInterval: checkingIntervalMs(config) },
  };
}

export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  const adapter = new FastifyAdapter(fastifyOptions(config));
  echoRequestId(adapter.getInstance());
  return adapter;
}
