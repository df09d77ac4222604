import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config';
import { problem, ProblemException, RETRY_AFTER_SECONDS } from '../errors/problem';
import { UserDto } from '../users/dto/user.dto';
import { User } from '../users/user.entity';
import { UserRepository } from '../users/user.repository';
import type { AuthResponseDto } from './dto/auth-response.dto';
import type { LoginDto } from './dto/login.dto';
import type { RegisterDto } from './dto/register.dto';
import { WorkSaturatedError } from './bounded-work';
import { LoginAttempts, LoginLimitUnavailableError } from './login-attempts';
import { PasswordHasher } from './password-hasher';

/** 503 while the failed-login store (Redis) cannot be reached: logins fail closed. A class, so metrics can tell the cause. */
export class LoginUnavailableException extends ProblemException {
  constructor() {
    super(problem(503, 'Login is unavailable for the moment; retry later'), { 'Retry-After': String(RETRY_AFTER_SECONDS) });
  }
}

/** 503 while registrations' password hashing is saturated: answered at once rather than queued. A class, so metrics can tell the cause. */
export class RegistrationBusyException extends ProblemException {
  constructor() {
    super(problem(503, 'Too many registrations are being processed; retry later'), { 'Retry-After': String(RETRY_AFTER_SECONDS) });
  }
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger('AuthService');

  constructor(
    private readonly em: EntityManager,
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    private readonly attempts: LoginAttempts,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async register(dto: RegisterDto, clientAddress: string): Promise<AuthResponseDto> {
    // counted before the password is hashed, so concurrent registrations cannot pass the limit
    const reserved = await this.attempts.reserveRegistration(clientAddress).catch((error: unknown) => {
      // not expected (an outage falls back to counting in memory), but never a 500
      if (error instanceof LoginLimitUnavailableError) {
        throw new ProblemException(problem(503, 'Registration is unavailable for the moment; retry later'), { 'Retry-After': String(RETRY_AFTER_SECONDS) });
      }
      throw error;
    });
    if (!reserved.allowed) {
      throw new ProblemException(problem(429, 'Too many registrations from this address; retry later'), { 'Retry-After': String(reserved.retryAfterSeconds) });
    }
    let user: User;
    try {
      user = new User(dto.email, await this.hasher.hash(dto.password), dto.name ?? null);
      // the unique index decides, so two registrations racing for one e-mail give one 201 and one 409
      await this.em.persist(user).flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new ProblemException(problem(409, 'An account with this e-mail already exists')); // an attempt all the same: it counts
      }
      // refused by the service, not the client's doing (hashing saturated, database down): it does not count
      await this.attempts.registrationNotMade(clientAddress).catch(() => undefined);
      if (error instanceof WorkSaturatedError) throw new RegistrationBusyException();
      throw error;
    }
    return this.issue(user);
  }

  async login(dto: LoginDto, clientAddress: string): Promise<AuthResponseDto> {
    // the attempt is counted before its password is checked, so concurrent guesses cannot pass the limit
    const reserved = await this.attempts.reserve(clientAddress, dto.email).catch((error: unknown) => {
      if (error instanceof LoginLimitUnavailableError) throw new LoginUnavailableException();
      throw error;
    });
    if (!reserved.allowed) {
      throw new ProblemException(problem(429, 'Too many failed logins; retry later'), { 'Retry-After': String(reserved.retryAfterSeconds) });
    }
    let user: User | null;
    let valid: boolean;
    try {
      user = await this.users.findOne({ email: dto.email });
      // an unknown e-mail is verified against a dummy hash: same time, same answer
      valid = await this.hasher.verify(user?.passwordHash, dto.password);
    } catch (error) {
      // not checked (e.g. the database is down): this attempt is no failure
      await this.attempts.cancelled(reserved.reservation).catch(() => undefined);
      throw error;
    }
    if (!user || !valid) throw new ProblemException(problem(401, 'Wrong e-mail or password')); // the point stays taken
    // the password is right: a store that fails now only leaves a count behind, it does not refuse the login
    await this.attempts.succeeded(reserved.reservation).catch((error: unknown) => this.logger.warn(`Failed logins not cleared: ${String(error)}`));
    return this.issue(user);
  }

  private async issue(user: User): Promise<AuthResponseDto> {
    const accessToken = await this.jwt.signAsync({ sub: user.id });
    return { user: UserDto.from(user), accessToken, tokenType: 'Bearer', expiresIn: this.config.jwt.expiresInSeconds };
  }
}
