// The office dashboard's dictionary in the UI's current language (the language choice is the
// phone app's, shared), and counts as the steering committee's reports write them.
import type { Lang } from '../bindings/Lang';
import { locale } from './index.svelte';
import { officeEn } from './office-en';
import { officeVi } from './office-vi';

export type OfficeDict = typeof officeVi;

export function ot(): OfficeDict {
  return locale.lang === 'en' ? officeEn : officeVi;
}

export function officeDict(lang: Lang): OfficeDict {
  return lang === 'en' ? officeEn : officeVi;
}
