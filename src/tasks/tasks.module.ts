import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';
import { DeletedAccountCheck } from '../auth/deleted-account-check';
import { UsersModule } from '../users/users.module';
import { Task } from './task.entity';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';

@Module({
  imports: [MikroOrmModule.forFeature([Task]), UsersModule],
  controllers: [TasksController],
  providers: [TasksService, DeletedAccountCheck],
})
export class TasksModule {}
