import fastify from 'fastify';
import request from 'supertest';
import { capturingLogger } from '../../test/support/log-capture';
import { logRequests } from './request-log';

describe(logRequests.name, () => {
  async function serve(level: string) {
    const captured = capturingLogger(level);
    const app = fastify({ genReqId: () => 'req-1' });
    logRequests(app, captured.logger);
    app.get('/ok', async () => ({ ok: true }));
    app.get('/broken', async (_request, reply) => reply.code(503).send({}));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const lines = captured.lines;
    /** The hook runs once the answer is sent, which can be after the client has read it. */
    const linesOnceThere = async (count: number) => {
      for (let i = 0; i < 200 && lines.length < count; i++) await new Promise((resolve) => setTimeout(resolve, 5));
      await app.close();
      return lines;
    };
    return { http: app.server, linesOnceThere };
  }

  it('writes one info line per request: id, method, url, status and time, and no headers', async () => {
    const { http, linesOnceThere } = await serve('info');
    await request(http).get('/ok?x=1').set('Authorization', 'Bearer secret-token').expect(200);
    const lines = await linesOnceThere(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      req: { id: 'req-1', method: 'GET', url: '/ok?x=1' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
    expect(JSON.stringify(lines[0])).not.toContain('secret-token');
  });

  it('redacts credential-looking query parameters, whatever their case or encoding, and keeps the others', async () => {
    const { http, linesOnceThere } = await serve('info');
    const query =
      'access_token=eyJ.secret-1&x=1&TOKEN=secret-2&id_token=secret-3&refresh_token=secret-4&api_key=secret-5&ApiKey=secret-6' +
      '&key=secret-7&password=secret-8&secret=secret-9&code=secret-10&JWT=secret-11&access%5Ftoken=secret-12&token[]=secret-13&page=2';
    await request(http).get(`/ok?${query}`).expect(200);
    const [line] = await linesOnceThere(1);
    const logged = JSON.stringify(line);
    expect(logged).not.toMatch(/secret-\d+/);
    expect(line).toMatchObject({ req: { url: expect.stringMatching(/^\/ok\?access_token=\[REDACTED\]&x=1&TOKEN=\[REDACTED\]&/) } });
    expect((line.req as { url: string }).url).toMatch(/&page=2$/);
    expect((line.req as { url: string }).url.match(/\[REDACTED\]/g)).toHaveLength(13);
  });

  it('logs a 5xx answer as a warning', async () => {
    const { http, linesOnceThere } = await serve('info');
    await request(http).get('/broken').expect(503);
    expect(await linesOnceThere(1)).toMatchObject([{ level: 40, res: { statusCode: 503 } }]);
  });

  it('writes nothing below its level: a warn logger logs 5xx only', async () => {
    const { http, linesOnceThere } = await serve('warn');
    await request(http).get('/ok').expect(200);
    await request(http).get('/broken').expect(503);
    expect(await linesOnceThere(1)).toMatchObject([{ level: 40, res: { statusCode: 503 } }]);
  });
});
