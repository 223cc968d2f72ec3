// The gateway balances with the kit's balancers, the same ones the service
// call client uses; they skip instances that outlier detection ejected.
export { type Balancer, LeastOutstandingBalancer, RoundRobinBalancer } from '@trellis/kit/platform'
