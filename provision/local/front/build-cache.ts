/**
 * The image-cache emulation standing in for repo2docker builds (which need a container engine).
 *
 * The first launch of a resolved ref "builds" for `buildMs`, streaming build-like log events in
 * BinderHub's phases (waiting, fetching, building, pushing, built); later launches of the same
 * image hit the cache ("Found built image, launching..."). A launch that arrives while the image
 * is being built follows that build's log from its start, as BinderHub does when the build pod
 * already exists.
 */

export interface BuildEvent {
  phase?: string;
  message: string;
  imageName?: string;
  progress?: Record<string, string>;
}

type Listener = (ev: BuildEvent) => void;

interface Build {
  log: BuildEvent[];
  listeners: Set<Listener>;
  done: Promise<void>;
}

export class BuildCache {
  private readonly built = new Set<string>();
  private readonly building = new Map<string, Build>();

  constructor(
    private readonly buildMs: number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  isBuilt(image: string): boolean {
    return this.built.has(image);
  }

  /** Stream the build (or the cache hit) of `image` into `emit`; resolves once it is built. */
  async ensureBuilt(image: string, emit: Listener): Promise<void> {
    if (this.built.has(image)) {
      emit({ phase: 'built', imageName: image, message: 'Found built image, launching...\n' });
      return;
    }
    let build = this.building.get(image);
    if (!build) {
      build = this.startBuild(image);
    }
    for (const ev of build.log) emit(ev);
    build.listeners.add(emit);
    try {
      await build.done;
    } finally {
      build.listeners.delete(emit);
    }
  }

  private startBuild(image: string): Build {
    const build: Build = { log: [], listeners: new Set(), done: Promise.resolve() };
    const push = (ev: BuildEvent) => {
      build.log.push(ev);
      for (const l of build.listeners) l(ev);
    };
    build.done = this.runBuild(image, push).finally(() => {
      this.building.delete(image);
    });
    this.building.set(image, build);
    return build;
  }

  private async runBuild(image: string, push: Listener): Promise<void> {
    const steps = Math.max(1, Math.min(10, Math.round(this.buildMs / 1000)));
    const stepMs = this.buildMs / (steps + 2);
    push({ phase: 'waiting', message: 'Waiting for build to start...\n' });
    push({ message: 'Picked Git content provider.\n' });
    push({ phase: 'fetching', message: `Emulated clone of ${image.split(':')[0]}\n` });
    await this.sleep(stepMs);
    push({ phase: 'building', message: 'Using the rehearse local emulation: no container is built\n' });
    for (let i = 1; i <= steps; i++) {
      await this.sleep(stepMs);
      push({ phase: 'building', message: `Step ${i}/${steps} : emulated build step\n` });
    }
    await this.sleep(stepMs);
    push({ phase: 'pushing', message: 'Pushing image\n', progress: { emulated: 'Pushed' } });
    this.built.add(image);
    push({ phase: 'built', imageName: image, message: 'Built image, launching...\n' });
  }
}
