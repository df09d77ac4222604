import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { validationProblem } from '../errors/problem';
import { isUuid } from './uuid';

/** A path id that is not a UUID is 400, before any query runs. */
@Injectable()
export class UuidParamPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (!isUuid(value)) throw validationProblem([{ field: metadata.data ?? 'id', message: 'must be a UUID' }]);
    return value.toLowerCase();
  }
}
