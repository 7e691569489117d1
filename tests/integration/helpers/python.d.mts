export declare const VENV_PYTHON: string
export declare function pythonHas(modules: string): Promise<boolean>
