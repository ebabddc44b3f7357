// The `ini` package ships no types; this is the little of its API the differential test uses.

declare module 'ini' {
  /** What `ini.parse` returns: sections as nested objects, keys at the top before any section. */
  type IniValue = string | boolean | null | IniValue[] | { [key: string]: IniValue };
  const ini: {
    parse(text: string): { [key: string]: IniValue };
  };
  export default ini;
}
