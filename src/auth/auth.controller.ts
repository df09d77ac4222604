import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
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
  register(@Body() dto: RegisterDto): Promise<AuthResponseDto> {
    return this.auth.register(dto);
  }

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange e-mail and password for an access token' })
  @ApiOkResponse({ type: AuthResponseDto })
  @ApiUnauthorizedResponse({ type: ProblemDto, description: 'Wrong e-mail or password (one answer for both)' })
  @ApiTooManyRequestsResponse({
    type: ProblemDto,
    description: 'Too many failed logins for this address and e-mail; see Retry-After',
    headers: { 'Retry-After': { description: 'Seconds until a login may be tried again', schema: { type: 'integer' } } },
  })
  login(@Body() dto: LoginDto, @Req() request: FastifyRequest): Promise<AuthResponseDto> {
    // req.ip honours X-Forwarded-For only when TRUST_PROXY says so
    return this.auth.login(dto, request.ip ?? request.socket.remoteAddress ?? 'unknown');
  }
}
