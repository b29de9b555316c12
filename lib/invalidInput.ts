/** Invalid input found below the API layer (e.g. by the attribute registry); the API answers it with a 400 naming each field. */
export interface FieldIssue {
  path: string;
  message: string;
}

export class InvalidInputError extends Error {
  constructor(readonly issues: FieldIssue[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  }
}
