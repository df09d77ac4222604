import { Body, Controller, Delete, Get, HttpCode, Patch } from '@nestjs/common';
import { ApiBadRequestResponse, ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { CurrentUser } from '../auth/current-user.decorator';
import { ProblemDto } from '../errors/problem.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { UserDto } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth('bearer')
@ApiUnauthorizedResponse({ type: ProblemDto, description: 'Missing or invalid bearer token' })
@Controller('users/me')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'The authenticated user' })
  @ApiOkResponse({ type: UserDto })
  async me(@CurrentUser() user: AuthenticatedUser): Promise<UserDto> {
    return UserDto.from(await this.users.get(user));
  }

  @Patch()
  @ApiOperation({ summary: 'Change the name (null clears it); an empty body is 400' })
  @ApiOkResponse({ type: UserDto })
  @ApiBadRequestResponse({ type: ProblemDto })
  async update(@CurrentUser() user: AuthenticatedUser, @Body() dto: UpdateUserDto): Promise<UserDto> {
    return UserDto.from(await this.users.update(user, dto));
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete the account and every task it owns; its tokens are refused from then on' })
  @ApiNoContentResponse()
  async delete(@CurrentUser() user: AuthenticatedUser): Promise<void> {
    await this.users.delete(user);
  }
}
