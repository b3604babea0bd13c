import * as z from 'zod';

// What rewind proves about a rollback, by item: the evidence it knows how to find in the journal.
// A configured item without `proof` is a person's job (`rewind checklist tick`).
export const CHECKLIST_PROOFS = [
  'rollback-version',
  'backup',
  'current-state',
  'incident',
  'rollback-executed',
  'database-rollback',
  'health',
  'smoke',
  'db-verify',
  'watch-window',
  'metrics',
  'incident-documented',
  'ci',
] as const;

const checklistItemSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and -, at most 63').describe('What `checklist tick` names it by.'),
  text: z.string().min(1),
  proof: z.enum(CHECKLIST_PROOFS).optional().describe('The evidence that ticks it by itself; absent: a person ticks it.'),
});

const checklistPhase = z.array(checklistItemSchema).min(1);

const changelogSchema = z.strictObject({
  path: z.string().min(1).describe('The Keep a Changelog file to annotate (relative to the config file).'),
  section: z
    .enum(['auto', 'Fixed', 'Security'])
    .default('auto')
    .describe('Where the rollback line goes under ## [Unreleased]: Fixed, Security, or auto (Security when the incident was flagged --security, else Fixed).'),
});

export const incidentSettingsSchema = z.strictObject({
  changelog: changelogSchema.optional().describe('Annotate the CHANGELOG after a rollback with user impact (`rewind incident changelog`, and on `incident close`).'),
  watchMinutes: z
    .number()
    .positive()
    .default(30)
    .describe('"Monitor for 30 minutes" after a rollback: the post-rollback watch window, in minutes, that ticks it; a shorter watch does not.'),
  checklists: z
    .strictObject({
      pre: checklistPhase.optional().describe('Replaces the default pre-rollback list.'),
      during: checklistPhase.optional().describe('Replaces the default during-rollback list.'),
      post: checklistPhase.optional().describe('Replaces the default post-rollback list.'),
    })
    .optional()
    .describe('The rollback checklists; each list left out keeps its default (docs/incidents.md).'),
});

export type ChangelogSettings = z.infer<typeof changelogSchema>;
export type IncidentSettings = z.infer<typeof incidentSettingsSchema>;
export type ChecklistItemConfig = z.infer<typeof checklistItemSchema>;
export type ChecklistProof = (typeof CHECKLIST_PROOFS)[number];
