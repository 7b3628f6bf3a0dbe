/** Routes the single-page app: `/`, `/call/<room>`, `/send`, `/receive/<room>`. */
import { callPage } from './call/call-page.ts';
import { receivePage } from './files/receive-page.ts';
import { sendPage } from './files/send-page.ts';
import { homePage, notFoundPage } from './home.ts';
import { isValidRoom } from './ui.ts';

function route(path: string): void {
  const [, section, room, extra] = path.split('/');
  if (!section) homePage();
  else if (section === 'send' && !room) sendPage();
  else if (section === 'call' && room && !extra && isValidRoom(room)) callPage(room);
  else if (section === 'receive' && room && !extra && isValidRoom(room)) receivePage(room);
  else notFoundPage();
}

route(location.pathname.replace(/\/+$/, '') || '/');
