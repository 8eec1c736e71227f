import type { Command } from 'commander';
import type { Dispatch } from '../program';
import { registerApply } from './apply';
import { registerEdit } from './edit';
import { registerExport } from './export';
import { registerImport } from './import';
import { registerSeries } from './series';
import { registerSync } from './sync';
import { registerUpstream } from './upstream';

export type Registrar = (program: Command, dispatch: Dispatch) => void;

/** Every top-level command's flag wiring. Add one import and one entry per command file. */
export const registrars: Registrar[] = [registerSeries, registerSync, registerEdit, registerExport, registerUpstream, registerApply, registerImport];
