// First import: tracing must start before the modules it instruments are loaded.
import { tracing } from './instrument';
import { runService } from '@skyway/service-runtime';
import { buildApp } from './app';
import { parseConfig } from './config';

void runService({ name: 'main-service', parseConfig, build: (config) => buildApp(config), onShutdown: () => tracing.shutdown() });
