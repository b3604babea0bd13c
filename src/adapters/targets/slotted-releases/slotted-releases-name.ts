/** The registry's name for the releases target with `slots:` (its config keeps `type: releases`). */
export const SLOTTED_RELEASES_NAME = 'slotted-releases';

/** Whether a releases target's config (validated or not) runs two slots: zod-free, for status. */
export const hasSlots = (target: { slots?: unknown }): boolean => target.slots !== undefined;
