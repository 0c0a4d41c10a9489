import type { QueueItem } from '../../src/protocol/panelProtocol';
import { h } from '../dom';
import type { PanelState } from '../panelState';
import type { View } from './view';

/** The jobs the host has queued, the running one first. */
export function createQueueList(): View {
  const list = h('ol', { class: 'queue', 'data-testid': 'queue' });
  const element = h('section', { class: 'queue-section', 'aria-labelledby': 'queue-heading', hidden: true }, [
    h('h2', { id: 'queue-heading' }, ['Queue']),
    list,
  ]);
  let shown: PanelState['queue'] | undefined;
  return {
    element,
    update(state) {
      element.hidden = state.queue.length === 0;
      if (state.queue === shown) return;
      shown = state.queue;
      list.replaceChildren(...state.queue.map(queueEntry));
    },
  };
}

function queueEntry(item: QueueItem): HTMLElement {
  const status = item.state === 'running' ? 'Running' : 'Queued';
  return h('li', { 'data-testid': 'queue-item', 'data-job-id': item.jobId, 'data-state': item.state }, [
    h('span', { class: `queue-state ${item.state}` }, [status]),
    h('span', { class: 'queue-seed' }, [`seed ${item.seed}`]),
    h('span', { class: 'queue-prompt', title: item.prompt }, [item.prompt || '(no prompt)']),
  ]);
}
