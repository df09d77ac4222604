import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

class FieldErrorDto {
  @ApiProperty({ example: 'title' })
  field!: string;

  @ApiProperty({ example: 'must be longer than or equal to 1 characters' })
  message!: string;
}

/** RFC 9457 problem details, served as application/problem+json. */
export class ProblemDto {
  @ApiProperty({ example: 'about:blank' })
  type!: string;

  @ApiProperty({ example: 'Bad Request' })
  title!: string;

  @ApiProperty({ example: 400 })
  status!: number;

  @ApiProperty({ example: 'title: must be longer than or equal to 1 characters' })
  detail!: string;

  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Present on validation errors: at most 20' })
  errors?: FieldErrorDto[];

  @ApiPropertyOptional({ type: 'integer', minimum: 1, example: 3, description: 'How many more field errors there were than `errors` lists' })
  moreErrors?: number;
}
