/** `/v1/iys/drift`: compliance asks where Rota's consents and İYS's disagree, and reads the report page by page. */
import { appIdOf } from '../auth';
import type { ApiDeps } from '../deps';
import { ApiError, errorBodySchema } from '../errors';
import { route } from '../routing';
import { driftWorkflowId } from '../../domain/iysSync';
import { isActive, iysSettingsOf } from '../../iys/appSettings';
import { createDriftReport, driftPage, driftReportDocId } from '../../iys/drift/report';
import { driftParamsSchema, driftQuerySchema, driftReportSchema, driftStartedSchema, newDriftReportId, toDriftView } from '../../iys/drift/schemas';
import type { iysDriftReport } from '../../workflows/iysDriftReport';

export function iysDriftRoutes({ db, temporal, config }: ApiDeps) {
  return [
    route({
      method: 'post', path: '/v1/iys/drift', tag: 'iys', access: 'compliance',
      summary: "Start a drift report: every consent Rota holds compared with İYS's (Rota ONAY but İYS not; Rota RET but İYS ONAY)",
      responses: {
        202: { description: 'started; poll GET /v1/iys/drift/{id}', schema: driftStartedSchema },
        409: { description: "the app's İYS mode is off: there is no İYS brand to compare with", schema: errorBodySchema },
      },
      handler: async ({ req, res }) => {
        const appId = appIdOf(req);
        const settings = await iysSettingsOf(db, appId);
        if (!isActive(settings)) throw new ApiError(409, 'iys_mode_off', "the app's İYS mode is off", [{ path: 'settings.iys.mode', message: 'must be integrator or sync' }]);
        const reportId = newDriftReportId();
        await createDriftReport(db, appId, reportId);
        await temporal.workflow.start<typeof iysDriftReport>('iysDriftReport', { workflowId: driftWorkflowId(appId, reportId), taskQueue: config.TEMPORAL_TASK_QUEUE, args: [{ appId, reportId }] });
        res.status(202).json({ id: reportId, status: 'running' });
      },
    }),
    route({
      method: 'get', path: '/v1/iys/drift/:id', tag: 'iys', access: 'compliance',
      summary: 'A drift report: its status, the count of each kind of difference, and one page of one kind',
      params: driftParamsSchema,
      query: driftQuerySchema,
      responses: {
        200: { description: 'the report', schema: driftReportSchema },
        400: { description: 'a bad id, kind or page (the field is named)', schema: errorBodySchema },
        404: { description: 'no such report', schema: errorBodySchema },
      },
      handler: async ({ params, query, req, res }) => {
        const appId = appIdOf(req);
        const report = await db.iysDriftReports.findOne({ _id: driftReportDocId(appId, params.id) }).lean();
        if (!report) throw new ApiError(404, 'not_found', `no drift report ${params.id}`, [{ path: 'params.id', message: 'not found' }]);
        const { items, more } = await driftPage(db, report, query.kind, query.page);
        res.json(toDriftView(report, params.id, query.kind, query.page, items, more));
      },
    }),
  ];
}
