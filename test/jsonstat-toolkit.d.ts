// jsonstat-toolkit ships no types; the export test uses only these members.
declare module 'jsonstat-toolkit' {
  interface JsonStatCategory {
    label: string;
  }
  interface JsonStatDimension {
    id: string[];
    label: string;
    role: string;
    Category(code: string): JsonStatCategory | null;
  }
  interface JsonStatDataset {
    class: string;
    id: string[];
    length: number;
    n: number;
    source: string;
    updated: string;
    extension: any;
    note: string[];
    role: Record<string, string[]>;
    Dimension(id: string): JsonStatDimension | null;
    size: number[];
    /** Calls `fn` for every cell with its category per dimension id, in row-major order. */
    Unflatten<T>(fn: (coordinates: Record<string, string>, cell: { value: number | null; status: string | null }, index: number) => T | undefined): T[];
    Data(where: number | Record<string, string>): { value: number | null; status: string | null } | null;
  }
  export default function JSONstat(input: unknown): JsonStatDataset;
}
