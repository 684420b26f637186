// A short message at the bottom of the screen ("Đã lưu"), which outlives the screen that said it.
export const toast = $state<{ text: string; kind: 'ok' | 'error'; seq: number }>({ text: '', kind: 'ok', seq: 0 });

let timer: ReturnType<typeof setTimeout> | undefined;

export function showToast(text: string, kind: 'ok' | 'error' = 'ok', ms = 2500): void {
  toast.text = text;
  toast.kind = kind;
  toast.seq += 1;
  clearTimeout(timer);
  timer = setTimeout(() => (toast.text = ''), ms);
}

export function clearToast(): void {
  clearTimeout(timer);
  toast.text = '';
}
