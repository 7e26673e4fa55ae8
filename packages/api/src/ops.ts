import { Type, type Static } from 'typebox';

/** Liveness, readiness, metrics. */

export const HealthSchema = Type.Object({ status: Type.Literal('ok') });
export const ReadySchema = Type.Object({ status: Type.Literal('ready'), engine: Type.String(), sequence: Type.Integer(), entries: Type.Integer(), version: Type.String() });
export type ReadyBody = Static<typeof ReadySchema>;
export const METRICS_MEDIA_TYPE = 'text/plain';
export const MetricsSchema = Type.String({ description: 'Prometheus text exposition format' });
