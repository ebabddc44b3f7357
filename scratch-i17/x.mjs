import { XMLParser, XMLBuilder, XMLValidator } from 'fast-xml-parser';
const xml = `<?xml version='1.0'?>\n<methodCall>\n<methodName>supervisor.startProcess</methodName>\n<params>\n<param>\n<value><string>web &amp; x</string></value>\n</param>\n<param><value><boolean>1</boolean></value></param><param><value>bare</value></param><param><value><array><data><value><int>1</int></value><value><struct><member><name>a</name><value><i4>2</i4></value></member></struct></value></data></array></value></param>\n</params>\n</methodCall>\n`;
console.log(XMLValidator.validate(xml), XMLValidator.validate('<a><b></a>'));
const p = new XMLParser({ preserveOrder: true, ignoreAttributes: true, parseTagValue: false, trimValues: false, processEntities: true, ignoreDeclaration: true });
console.log(JSON.stringify(p.parse(xml)));
const b = new XMLBuilder({ preserveOrder: false, format: false, suppressEmptyNode: false });
console.log(b.build({ methodResponse: { params: { param: { value: { array: { data: { value: [{ string: 'a<&>"\'' }, { int: 3 }, {string: ''}] } } } } } } }));
