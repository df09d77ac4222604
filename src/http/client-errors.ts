import type { FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { problem, PROBLEM_CONTENT_TYPE } from '../errors/problem';
import { BASELINE_SECURITY_HEADERS } from './security-headers';

/** These answers are written before any hook runs: they carry the security headers themselves. */
const SECURITY_HEADER_LINES = Object.entries(BASELINE_SECURITY_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');

/** Node answers malformed requests itself (before any route); answer them as problem+json too (Fastify's clientErrorHandler). */
export function answerClientErrorAsProblem(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const detail = status === 431 ? 'The request headers exceed 16 KiB' : status === 408 ? 'The request took too long to arrive' : 'Malformed HTTP request';
  const body = JSON.stringify(problem(status, detail));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n${SECURITY_HEADER_LINES}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Errors of Fastify's router, before any Nest code runs (a path that is not valid percent-encoding). */
export function answerFrameworkErrorAsProblem(_error: Error, _request: FastifyRequest, reply: FastifyReply): void {
  void reply.status(400).headers(BASELINE_SECURITY_HEADERS).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem(400, 'The request path is not valid')));
}
