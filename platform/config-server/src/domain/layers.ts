/**
 * Where a property is set. `application` is a service's name or `*` for
 * every application; `profile` is `default` (every profile) or one profile;
 * `instance` is empty or one instance id (only under an application, and
 * with the `default` profile: an instance runs one profile anyway).
 */
export interface Scope {
  application: string
  profile: string
  instance: string
}

export const GLOBAL = '*'
export const BASE_PROFILE = 'default'

export type LayerName = 'global' | 'global-profile' | 'application' | 'application-profile' | 'instance'

export interface Layer {
  name: LayerName
  scope: Scope
}

/**
 * The layers an instance's configuration is made of, lowest precedence first:
 *
 *   1. global               `*`, default profile
 *   2. global-profile       `*`, the instance's profile
 *   3. application          the application, default profile
 *   4. application-profile  the application, the instance's profile
 *   5. instance             the application, the instance (whatever its profile)
 *
 * A higher layer wins key by key. Naming the application is more specific
 * than naming the profile, so an application's base value beats a global
 * value for the profile. Below all of them sit the setting's declared default
 * and the instance's environment.
 */
export function layersOf(application: string, profile: string, instance = ''): Layer[] {
  const layers: Layer[] = [
    { name: 'global', scope: { application: GLOBAL, profile: BASE_PROFILE, instance: '' } },
  ]
  if (profile !== BASE_PROFILE)
    layers.push({ name: 'global-profile', scope: { application: GLOBAL, profile, instance: '' } })
  if (application !== GLOBAL) {
    layers.push({ name: 'application', scope: { application, profile: BASE_PROFILE, instance: '' } })
    if (profile !== BASE_PROFILE)
      layers.push({ name: 'application-profile', scope: { application, profile, instance: '' } })
    if (instance) layers.push({ name: 'instance', scope: { application, profile: BASE_PROFILE, instance } })
  }
  return layers
}

export function sameScope(a: Scope, b: Scope): boolean {
  return a.application === b.application && a.profile === b.profile && a.instance === b.instance
}

/** The associated data a secret is sealed with: its place. */
export function placeOf(scope: Scope, key: string): string {
  return `${scope.application}\0${scope.profile}\0${scope.instance}\0${key}`
}
