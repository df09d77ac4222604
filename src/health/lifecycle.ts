import { Injectable } from '@nestjs/common';

/**
 * Where the process is in its life, as the health checks and the HTTP layer need to know it: the one drain
 * state. main.ts calls startDraining() when a shutdown begins: from then on /health/ready answers 503 (so that a
 * load balancer takes the instance out of rotation) while the API keeps serving for the drain delay, and every
 * answer says `Connection: close` (see close-when-draining.ts).
 */
@Injectable()
export class Lifecycle {
  private isDraining = false;

  get draining(): boolean {
    return this.isDraining;
  }

  startDraining(): void {
    this.isDraining = true;
  }
}
