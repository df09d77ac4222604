import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ProblemDto } from '../errors/problem.dto';
import { AuthService } from './auth.service';
import { AuthResponseDto } from './dto/auth-response.dto';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';
import { Public } from './public.decorator';

@ApiTags('auth')
@Public()
@Controller('auth')
@ApiBadRequestResponse({ type: ProblemDto, description: 'Invalid body (problem+json with `errors`)' })
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('register')
  @ApiOperation({ summary: 'Create an account and get an access token' })
  @ApiCreatedResponse({ type: AuthResponseDto })
  @ApiConflictResponse({ type: ProblemDto, description: 'The e-mail is taken (case-insensitive)' })
  @ApiTooManyRequestsResponse({
    type: ProblemDto,
    description:
      'Too many registrations from this client address; see Retry-After. REGISTER_IP_MAX (default 20) registrations per address in ' +
      'REGISTER_IP_WINDOW_SECONDS (default 3600 s), a fixed window that starts at the first; counted before the password is hashed, ' +
      'and shared by every instance with REDIS_URL.',
    headers: { 'Retry-After': { description: 'Seconds until this address may register again', schema: { type: 'integer' } } },
  })
  @ApiServiceUnavailableResponse({
    type: ProblemDto,
    description:
      'Password hashing is saturated (REGISTER_HASH_CONCURRENCY registrations hashing and REGISTER_HASH_QUEUE waiting, or one waited ' +
      'REGISTER_HASH_QUEUE_TIMEOUT_MS): answered at once rather than queued, and not counted against the address; or the database is unreachable',
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } },
  })
  register(@Body() dto: RegisterDto, @Req() request: FastifyRequest): Promise<AuthResponseDto> {
    return this.auth.register(dto, clientAddress(request));
  }

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange e-mail and password for an access token' })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'Wrong e-mail or password (one answer for both)' })
  @ApiTooManyRequestsResponse({
    type: ProblemDto,
    description:
      'Too many failed logins; see Retry-After. Two limits, each a fixed window that starts at the first attempt: ' +
      'per client address and e-mail (LOGIN_MAX_FAILURES, default 10 failures in LOGIN_WINDOW_SECONDS, default 900 s: ' +
      'the 11th attempt is refused whatever the password, and a successful login clears the count), and per client address ' +
      'across all e-mails against password spraying (LOGIN_IP_MAX_FAILURES, default 100 in LOGIN_IP_WINDOW_SECONDS, default 900 s). ' +
      'Each attempt is counted before its password is checked, so concurrent attempts cannot exceed a limit; with REDIS_URL ' +
      'every instance of the service shares the counts.',
    headers: { 'Retry-After': { description: 'Seconds until a login may be tried again', schema: { type: 'integer' } } },
  })
  @ApiServiceUnavailableResponse({
    type: ProblemDto,
    description: 'The store of failed-login counts (Redis, with REDIS_URL) cannot be reached: logins fail closed; other routes are not affected',
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } },
  })
  login(@Body() dto: LoginDto, @Req() request: FastifyRequest): Promise<AuthResponseDto> {
    return this.auth.login(dto, clientAddress(request));
  }
}

/** The address the limits count by. req.ip honours X-Forwarded-For only when TRUST_PROXY says so. */
function clientAddress(request: FastifyRequest): string {
  return request.ip ?? request.socket.remoteAddress ?? 'unknown';
}
