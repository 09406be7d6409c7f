export declare const pauseImage: string;
export declare const dockerBin: string;
export declare function run(command: string, args: string[], options?: { env?: NodeJS.ProcessEnv; input?: string }): Promise<string>;
export declare function importImages(o: { dockerHost: string; containerd: string; refs: string[] }): Promise<void>;
export declare function nodeImages(containerd: string): Promise<string[]>;
export declare function ensurePauseImage(dockerHost: string): Promise<void>;
