import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, MikroOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/public.decorator';
import { Lifecycle } from './lifecycle';

/** The key of the readiness check that fails while the process drains (see Lifecycle); metrics count it by name. */
export const DRAINING_CHECK = 'draining';
/** The key of the readiness check that pings the database; metrics count its failures by name. */
export const DATABASE_CHECK = 'database';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: MikroOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly lifecycle: Lifecycle,
  ) {}

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: '200 while the process runs' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: '200 when the database answers, 503 when it does not or while the process shuts down' })
  @ApiOkResponse({ description: 'The database answered' })
  @ApiServiceUnavailableResponse({ description: 'The database did not answer within 2 s, or the process is draining before it stops' })
  ready() {
    if (this.lifecycle.draining) {
      // at once, without asking the database: the load balancer must stop sending new requests here
      return this.health.check([() => this.indicators.check(DRAINING_CHECK).down({ message: 'shutting down' })]);
    }
    return this.health.check([() => this.database.pingCheck(DATABASE_CHECK, { timeout: 2000 })]);
  }
}
