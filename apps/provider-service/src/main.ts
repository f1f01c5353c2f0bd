import { runService } from '@skyway/service-runtime';
import { buildApp } from './app';
import { parseConfig } from './config';

void runService({ name: 'provider-service', parseConfig, build: (config) => buildApp(config) });
