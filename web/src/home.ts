/** `/`: start a call (a fresh random room, its link and QR code) or send files. */
import { h, icon, invitePanel, mount, randomRoom, setTitle } from './ui.ts';

export function homePage(): void {
  setTitle('Private calls and file sharing');
  const invite = h('div', { class: 'home-invite', hidden: true });
  const startCall = () => {
    const room = randomRoom();
    const url = `${location.origin}/call/${room}`;
    invite.hidden = false;
    invite.replaceChildren(
      invitePanel(url, 'Send this link to the person you want to call'),
      h('a', { class: 'button primary large', href: `/call/${room}` }, icon('cam'), 'Join the call now'),
    );
    invite.querySelector<HTMLAnchorElement>('a.button')?.focus();
  };
  mount(
    h(
      'div',
      { class: 'home' },
      h(
        'section',
        { class: 'hero' },
        h('h1', {}, 'Talk and share files, ', h('span', { class: 'accent' }, 'directly'), '.'),
        h(
          'p',
          { class: 'lead' },
          'Video calls with chat and file transfers go straight from one browser to the other, encrypted end to end. The server only introduces you to each other.',
        ),
      ),
      h(
        'div',
        { class: 'cards' },
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'call-card-title' },
          h('h2', { id: 'call-card-title' }, icon('cam'), 'Video call'),
          h('p', {}, 'Make a private room for two. Share its link or QR code; no account needed.'),
          h('button', { type: 'button', class: 'button primary large', onclick: startCall }, 'Start a call'),
          invite,
        ),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'send-card-title' },
          h('h2', { id: 'send-card-title' }, icon('file'), 'Send files'),
          h(
            'p',
            {},
            'Any size, any number. Files stream to the other side and are checked with SHA-256 on arrival. Interrupted transfers resume.',
          ),
          h('a', { class: 'button secondary large', href: '/send' }, 'Send files'),
        ),
      ),
    ),
  );
}

export function notFoundPage(): void {
  setTitle('Not found');
  mount(
    h(
      'section',
      { class: 'card narrow' },
      h('h1', {}, 'Nothing here'),
      h('p', {}, 'This link does not lead to a call or a file transfer.'),
      h('a', { class: 'button primary', href: '/' }, 'Go home'),
    ),
  );
}
