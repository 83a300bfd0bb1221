import type { Command } from '@commander-js/extra-typings';
import { TcpstateError } from '../../errors.ts';
import { runAction } from '../run.ts';

export function registerWatch(program: Command): void {
  program
    .command('watch')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() =>
      runAction(() => {
        throw new TcpstateError('`tcpstate watch` is not built yet', { code: 'E_NOT_BUILT', exitCode: 3 });
      }),
    );
}
