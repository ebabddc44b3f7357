import { decodeCall } from '../src/supervisor/xmlrpc-codec.ts';
try { decodeCall(`<methodCall><methodName>a</methodName><params><param>${'<value><array><data>'.repeat(40)}${'</data></array></value>'.repeat(40)}</param></params></methodCall>`); console.log('no throw'); } catch (e) { console.log(String(e)); }
