import { Injectable } from '@nestjs/common';

/**
 * Where the process is in its life, as the health checks and the HTTP layer need to know it.
 * main.ts calls startDraining() on SIGTERM: from then on /health/ready answers 503 (so that a load
 * balancer takes the instance out of rotation) while the API keeps serving for the drain delay, and
 * every answer says `Connection: close`.
 */
@Injectable()
export class Lifecycle {
  private drainingSince?: number;

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  startDraining(now = Date.now()): void {
    this.drainingSince ??= now;
  }
}
