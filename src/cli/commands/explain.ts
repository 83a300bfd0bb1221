import type { Command } from '@commander-js/extra-typings';
import { TcpstateError } from '../../errors.ts';
import { runAction } from '../run.ts';

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('(not built yet)')
    .allowUnknownOption()
    .action(() =>
      runAction(() => {
        throw new TcpstateError('`tcpstate explain` is not built yet', { code: 'E_NOT_BUILT', exitCode: 3 });
      }),
    );
}
