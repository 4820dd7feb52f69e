import { h } from './dom';

/**
 * A file input that also takes a dropped file. The input is a real, labelled control, so the keyboard and screen
 * readers reach it; dropping is a shortcut for the mouse.
 */
export function dropZone(label: string, onFile: (file: File) => void): HTMLElement {
  const input = h('input', {
    type: 'file',
    accept: '.json,application/json,.txt,text/plain',
    class: 'file-input',
  });
  const id = `drop-${Math.random().toString(36).slice(2, 8)}`;
  input.id = id;
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file !== undefined) {
      onFile(file);
    }
  });
  const zone = h(
    'div',
    { class: 'drop-zone' },
    h('label', { for: id }, label),
    input,
    h('p', { class: 'hint' }, 'Drop the .json key file here, or choose it.'),
  );
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file !== undefined) {
      onFile(file);
    }
  });
  return zone;
}
